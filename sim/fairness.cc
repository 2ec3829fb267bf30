#include "sim/fairness.h"
