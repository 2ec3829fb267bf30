#include <gtest/gtest.h>

#include "sim/sweep.h"
