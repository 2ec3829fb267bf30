#include "sim/resample.h"

#include <gtest/gtest.h>
