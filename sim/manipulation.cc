#include "sim/manipulation.h"
