#include "sim/preflight.h"
