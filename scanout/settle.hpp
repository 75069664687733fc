// What to keep of a frame's overlay assignments when the driver refused them
// all together in one test commit. The ones a commit has accepted before are
// tested first, then each new one on its own, kept only if the test passes
// with it (as Weston tests each plane assignment as it is added): a refusal
// drops that candidate, not every overlay.
#pragma once

#include <functional>
#include <optional>
#include <vector>

namespace tranche::scanout {

// `known_good[i]`: overlay i was on a plane in an accepted commit. `test`
// says whether the driver takes the frame with the overlays `enabled`.
// Returns the overlays to keep, or nullopt when even the known-good ones
// (with the composition beneath) are refused. Tests at most 1 + the number
// of new overlays times.
std::optional<std::vector<bool>> settle_overlays(const std::vector<bool>& known_good,
                                                 const std::function<bool(const std::vector<bool>& enabled)>& test);

}  // namespace tranche::scanout
