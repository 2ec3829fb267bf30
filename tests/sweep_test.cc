#include "sim/sweep.h"

#include <gtest/gtest.h>
