#include "core/env.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace tf {
namespace {

TEST(MapEnvTest, GetReturnsSetValuesAndNulloptOtherwise) {
  MapEnv env({{"TRUST_DATA_DIR", "/srv/trust"}, {"EMPTY", ""}});
  EXPECT_EQ(env.Get("TRUST_DATA_DIR"), "/srv/trust");
  ASSERT_TRUE(env.Get("EMPTY").has_value());  // set but empty differs from unset
  EXPECT_EQ(*env.Get("EMPTY"), "");
  EXPECT_FALSE(env.Get("MISSING").has_value());
  EXPECT_FALSE(env.Get("trust_data_dir").has_value());  // names are case-sensitive
}

TEST(MapEnvTest, AllIsSortedAndSetUnsetWork) {
  MapEnv env;
  env.Set("B", "2");
  env.Set("A", "1");
  env.Set("B", "3");
  using Vars = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(env.All(), (Vars{{"A", "1"}, {"B", "3"}}));
  env.Unset("A");
  env.Unset("NOT_THERE");
  EXPECT_EQ(env.All(), (Vars{{"B", "3"}}));
  EXPECT_FALSE(env.Get("A").has_value());
}

TEST(SystemEnvTest, ReadsTheProcessEnvironment) {
  ASSERT_EQ(setenv("TF_ENV_TEST_VARIABLE", "value=with=equals", 1), 0);
  const Env& env = SystemEnv::Instance();
  EXPECT_EQ(env.Get("TF_ENV_TEST_VARIABLE"), "value=with=equals");
  EXPECT_FALSE(env.Get("TF_ENV_TEST_SURELY_UNSET_VARIABLE").has_value());
  EXPECT_FALSE(env.Get("").has_value());
  EXPECT_FALSE(env.Get("TF_ENV_TEST_VARIABLE=value").has_value());

  auto all = env.All();
  bool found = false;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) {
      EXPECT_LE(all[i - 1].first, all[i].first);
    }
    if (all[i].first == "TF_ENV_TEST_VARIABLE") {
      found = true;
      EXPECT_EQ(all[i].second, "value=with=equals");
    }
  }
  EXPECT_TRUE(found);
  unsetenv("TF_ENV_TEST_VARIABLE");
  EXPECT_FALSE(env.Get("TF_ENV_TEST_VARIABLE").has_value());
}

}  // namespace
}  // namespace tf
