#include "sim/fairness.h"

#include <gtest/gtest.h>
