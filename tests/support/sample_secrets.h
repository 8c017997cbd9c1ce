#pragma once
// Realistic shapes of Trust Fabric's own credentials, for tests that check they never leak.
// Thread-safety: constants.

namespace tf::testing {

inline constexpr char kSampleSessionToken[] = "tfs_Qm9vN2xLc0pUZ3dIeUVhcm5XeXZ6QjhfLVRrUW1a";
inline constexpr char kSampleApiToken[] = "tft_4qN8x-Jr0_ZkQ2mW9vYbL7cT1sHdE5fGpUaKoRiXnBy";

}  // namespace tf::testing
