#include "sim/resample.h"
