#include <gtest/gtest.h>

#include "sim/fairness.h"
