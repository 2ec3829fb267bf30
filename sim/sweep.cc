#include "sim/sweep.h"
