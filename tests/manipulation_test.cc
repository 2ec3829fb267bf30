#include "sim/manipulation.h"

#include <gtest/gtest.h>
