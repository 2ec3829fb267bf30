#include <gtest/gtest.h>

#include "sim/preflight.h"
