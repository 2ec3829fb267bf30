#include <gtest/gtest.h>

#include "sim/manipulation.h"
