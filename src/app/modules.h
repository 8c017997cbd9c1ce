#pragma once
// The explicit list of modules trustd runs, in registration order.

#include <memory>
#include <vector>

#include "modules/module.h"

namespace tf {

std::vector<std::unique_ptr<Module>> BuiltinModules();

}  // namespace tf
