#include "sim/per_replicate.h"
