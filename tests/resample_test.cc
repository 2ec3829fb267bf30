#include <gtest/gtest.h>

#include "sim/resample.h"
