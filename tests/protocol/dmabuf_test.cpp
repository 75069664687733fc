// linux-dmabuf (protocols/linux_dmabuf) at every version 3–6: the params'
// errors as the spec names them, `created`/`failed`, the wl_buffer wlroots
// sees, and feedback as each version must send it. The headless server has
// no DRM device, so the global is made here with an importer of the test's:
// memfds stand in for dma-bufs (lseek gives their size, as for a dma-buf).
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm_fourcc.h>

#include <optional>
#include <set>

#include "fixture.hpp"
#include "linux-dmabuf-v1-client-protocol.h"
#include "linux_dmabuf.hpp"
#include "listener.hpp"

namespace tranche::test {
namespace {

const dev_t kRenderDevice = makedev(226, 128);
const dev_t kKmsDevice = makedev(226, 0);
constexpr int kW = 64, kH = 32, kStride = kW * 4;

struct FakeImporter : protocols::DmabufImporter {
  bool accept = true;
  int calls = 0;
  wlr_dmabuf_attributes last{};
  uint64_t last_sampling = 0;
  bool import(const wlr_dmabuf_attributes& a, uint64_t sampling_device, std::string& why) override {
    ++calls;
    last = a;
    last_sampling = sampling_device;
    if (!accept) why = "the test says no";
    return accept;
  }
};

scanout::FormatSet advertised() {
  scanout::FormatSet set;
  set.add(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
  set.add(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_INVALID);
  set.add(DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR);
  return set;
}

scanout::Feedback render_feedback() {
  return {kRenderDevice, {{scanout::Tranche::Kind::Render, kRenderDevice, false, advertised()}}};
}

int memfd_of(size_t size) {
  int fd = memfd_create("dmabuf-test", MFD_CLOEXEC);
  EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
  return fd;
}

// What a feedback object received, parsed as a client would.
struct FeedbackSeen {
  struct Tranche {
    dev_t device = 0;
    uint32_t flags = 0;
    std::set<std::pair<uint32_t, uint64_t>> pairs;
  };
  std::vector<std::pair<uint32_t, uint64_t>> table;
  std::optional<dev_t> main_device;
  std::vector<Tranche> tranches;
  Tranche pending;
  int done = 0;
};

void read_table(FeedbackSeen& seen, int fd, uint32_t size) {
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ASSERT_NE(map, MAP_FAILED);
  seen.table.clear();
  struct Entry {
    uint32_t format, padding;
    uint64_t modifier;
  };
  for (size_t i = 0; i < size / sizeof(Entry); ++i)
    seen.table.emplace_back(static_cast<Entry*>(map)[i].format, static_cast<Entry*>(map)[i].modifier);
  munmap(map, size);
  // The spec forbids changing a sent table: it must be sealed against writes.
  EXPECT_EQ(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
  close(fd);
}

dev_t device_of(wl_array* array) {
  dev_t dev = 0;
  EXPECT_EQ(array->size, sizeof dev);
  if (array->size == sizeof dev) std::memcpy(&dev, array->data, sizeof dev);
  return dev;
}

const zwp_linux_dmabuf_feedback_v1_listener kFeedbackListener = {
    .done = [](void* data, zwp_linux_dmabuf_feedback_v1*) { ++static_cast<FeedbackSeen*>(data)->done; },
    .format_table = [](void* data, zwp_linux_dmabuf_feedback_v1*, int32_t fd,
                       uint32_t size) { read_table(*static_cast<FeedbackSeen*>(data), fd, size); },
    .main_device = [](void* data, zwp_linux_dmabuf_feedback_v1*,
                      wl_array* device) { static_cast<FeedbackSeen*>(data)->main_device = device_of(device); },
    .tranche_done =
        [](void* data, zwp_linux_dmabuf_feedback_v1*) {
          auto* seen = static_cast<FeedbackSeen*>(data);
          seen->tranches.push_back(seen->pending);
          seen->pending = {};
        },
    .tranche_target_device = [](void* data, zwp_linux_dmabuf_feedback_v1*,
                                wl_array* device) { static_cast<FeedbackSeen*>(data)->pending.device = device_of(device); },
    .tranche_formats =
        [](void* data, zwp_linux_dmabuf_feedback_v1*, wl_array* indices) {
          auto* seen = static_cast<FeedbackSeen*>(data);
          for (size_t i = 0; i < indices->size / sizeof(uint16_t); ++i) {
            uint16_t index = static_cast<uint16_t*>(indices->data)[i];
            ASSERT_LT(index, seen->table.size());
            seen->pending.pairs.insert(seen->table[index]);
          }
        },
    .tranche_flags = [](void* data, zwp_linux_dmabuf_feedback_v1*,
                        uint32_t flags) { static_cast<FeedbackSeen*>(data)->pending.flags = flags; },
};

std::set<std::pair<uint32_t, uint64_t>> pairs_of(const scanout::FormatSet& set) {
  std::set<std::pair<uint32_t, uint64_t>> out;
  for (const auto& [format, modifiers] : set.entries())
    for (auto modifier : modifiers) out.emplace(format, modifier);
  return out;
}

// Formats by the pre-v4 events, recorded from the bind on.
struct BindSeen {
  std::set<uint32_t> formats;
  std::set<std::pair<uint32_t, uint64_t>> modifiers;
};
const zwp_linux_dmabuf_v1_listener kManagerListener = {
    .format = [](void* data, zwp_linux_dmabuf_v1*, uint32_t format) { static_cast<BindSeen*>(data)->formats.insert(format); },
    .modifier = [](void* data, zwp_linux_dmabuf_v1*, uint32_t format, uint32_t hi,
                   uint32_t lo) { static_cast<BindSeen*>(data)->modifiers.emplace(format, uint64_t{hi} << 32 | lo); },
};

struct ParamsOutcome {
  wl_buffer* created = nullptr;
  bool failed = false;
};
const zwp_linux_buffer_params_v1_listener kParamsListener = {
    .created = [](void* data, zwp_linux_buffer_params_v1*,
                  wl_buffer* buffer) { static_cast<ParamsOutcome*>(data)->created = buffer; },
    .failed = [](void* data, zwp_linux_buffer_params_v1*) { static_cast<ParamsOutcome*>(data)->failed = true; },
};

class DmabufTest : public CompositorTest, public testing::WithParamInterface<uint32_t> {
 public:  // the cases of ArgumentErrors call in through a DmabufTest&
  void SetUp() override {
    CompositorTest::SetUp();
    if (HasFatalFailure()) return;
    dmabuf = std::make_unique<protocols::LinuxDmabuf>(server->display, 6, advertised(), render_feedback(), importer,
                                                      counters);
    client = connect();
    manager = bind_manager(*client, GetParam());
  }
  void TearDown() override {
    client.reset();
    dmabuf.reset();
    CompositorTest::TearDown();
  }

  // Binds with the listener on before the first event can arrive.
  zwp_linux_dmabuf_v1* bind_manager(Client& c, uint32_t version) {
    struct Found {
      uint32_t version;
      BindSeen* seen;
      zwp_linux_dmabuf_v1* proxy = nullptr;
    } found{version, &bind_seen};
    static const wl_registry_listener listener = {
        .global =
            [](void* data, wl_registry* registry, uint32_t name, const char* iface, uint32_t) {
              auto* f = static_cast<Found*>(data);
              if (f->proxy || std::string_view(iface) != zwp_linux_dmabuf_v1_interface.name) return;
              f->proxy = static_cast<zwp_linux_dmabuf_v1*>(
                  wl_registry_bind(registry, name, &zwp_linux_dmabuf_v1_interface, f->version));
              zwp_linux_dmabuf_v1_add_listener(f->proxy, &kManagerListener, f->seen);
            },
        .global_remove = [](void*, wl_registry*, uint32_t) {},
    };
    wl_registry* registry = wl_display_get_registry(c.display);
    wl_registry_add_listener(registry, &listener, &found);
    EXPECT_TRUE(roundtrip(c));
    wl_registry_destroy(registry);
    EXPECT_NE(found.proxy, nullptr);
    EXPECT_TRUE(roundtrip(c));  // the bind went out after the first one: its events come now
    return c.own(found.proxy);
  }

  zwp_linux_buffer_params_v1* params(ParamsOutcome& outcome) {
    auto* p = zwp_linux_dmabuf_v1_create_params(manager);
    zwp_linux_buffer_params_v1_add_listener(p, &kParamsListener, &outcome);
    return p;
  }
  void add(zwp_linux_buffer_params_v1* p, uint32_t plane, uint32_t offset = 0, uint32_t stride = kStride,
           uint64_t modifier = DRM_FORMAT_MOD_LINEAR, size_t size = kStride * kH) {
    int fd = memfd_of(size);
    zwp_linux_buffer_params_v1_add(p, fd, plane, offset, stride, modifier >> 32, modifier & 0xffffffff);
    close(fd);
  }

  // The params error the connection died of, or -1 when it lives.
  int params_error() {
    roundtrip(*client);
    if (wl_display_get_error(client->display) != EPROTO) return -1;
    const wl_interface* interface = nullptr;
    uint32_t id = 0;
    int code = static_cast<int>(wl_display_get_protocol_error(client->display, &interface, &id));
    EXPECT_EQ(interface, &zwp_linux_buffer_params_v1_interface);
    return code;
  }

  FeedbackSeen* watch(zwp_linux_dmabuf_feedback_v1* feedback) {
    seen.push_back(std::make_unique<FeedbackSeen>());
    zwp_linux_dmabuf_feedback_v1_add_listener(client->own(feedback), &kFeedbackListener, seen.back().get());
    return seen.back().get();
  }

  void expect_render_only(const FeedbackSeen& f, uint32_t version) {
    ASSERT_EQ(f.tranches.size(), 1u);
    EXPECT_EQ(f.tranches[0].device, kRenderDevice);
    EXPECT_EQ(f.tranches[0].pairs, pairs_of(advertised()));
    if (version >= 6) {
      EXPECT_FALSE(f.main_device) << "v6 has no main_device";
      EXPECT_EQ(f.tranches[0].flags, uint32_t{ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SAMPLING});
    } else {
      EXPECT_EQ(f.main_device, kRenderDevice);
      EXPECT_EQ(f.tranches[0].flags, 0u);
    }
  }

  FakeImporter importer;
  scanout::GlobalCounters counters;
  std::unique_ptr<protocols::LinuxDmabuf> dmabuf;
  std::unique_ptr<Client> client;
  zwp_linux_dmabuf_v1* manager = nullptr;
  BindSeen bind_seen;
  std::vector<std::unique_ptr<FeedbackSeen>> seen;
};

TEST_P(DmabufTest, FormatsAtBindOnlyBeforeVersion4) {
  if (GetParam() >= 4) {
    EXPECT_TRUE(bind_seen.formats.empty());
    EXPECT_TRUE(bind_seen.modifiers.empty());
  } else {
    EXPECT_EQ(bind_seen.formats, (std::set<uint32_t>{DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888}));
    EXPECT_EQ(bind_seen.modifiers, pairs_of(advertised()));
  }
}

TEST_P(DmabufTest, DefaultFeedbackAsTheVersionWants) {
  if (GetParam() < 4) GTEST_SKIP() << "feedback is version 4";
  FeedbackSeen* f = watch(zwp_linux_dmabuf_v1_get_default_feedback(manager));
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_EQ(f->done, 1);
  expect_render_only(*f, GetParam());
}

TEST_P(DmabufTest, SurfaceFeedbackFollowsThePolicy) {
  if (GetParam() < 4) GTEST_SKIP() << "feedback is version 4";
  wl_surface* surface = wl_compositor_create_surface(client->compositor);
  FeedbackSeen* f = watch(zwp_linux_dmabuf_v1_get_surface_feedback(manager, surface));
  ASSERT_TRUE(roundtrip(*client));
  ASSERT_EQ(f->done, 1);
  expect_render_only(*f, GetParam());

  // A scanout tranche before the render one, as the policy gives it.
  wlr_surface* server_surface =
      wlr_surface_from_resource(wl_client_get_object(client->server_side, wl_proxy_get_id((wl_proxy*)surface)));
  scanout::FormatSet plane;
  plane.add(DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
  scanout::Feedback with_scanout = render_feedback();
  with_scanout.tranches.insert(with_scanout.tranches.begin(),
                               {scanout::Tranche::Kind::Primary, kKmsDevice, true, plane});
  *f = {};
  dmabuf->set_surface_feedback(server_surface, &with_scanout);
  dmabuf->set_surface_feedback(server_surface, &with_scanout);  // the same again: nothing sent
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_EQ(f->done, 1);
  ASSERT_EQ(f->tranches.size(), 2u);
  EXPECT_EQ(f->tranches[0].device, kKmsDevice);
  EXPECT_EQ(f->tranches[0].pairs, pairs_of(plane));
  EXPECT_EQ(f->tranches[0].flags, uint32_t{ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT});
  EXPECT_EQ(f->tranches[1].device, kRenderDevice);

  // A second feedback object of the surface gets the current one at once.
  FeedbackSeen* late = watch(zwp_linux_dmabuf_v1_get_surface_feedback(manager, surface));
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_EQ(late->tranches.size(), 2u);

  *f = {};
  dmabuf->set_surface_feedback(server_surface, nullptr);  // back to the default
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_EQ(f->done, 1);
  expect_render_only(*f, GetParam());

  // The surface goes before its feedback objects: they stay, inert.
  wl_surface_destroy(surface);
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_EQ(wl_display_get_error(client->display), 0);
}

TEST_P(DmabufTest, CreatedBufferIsWlrootsDmabuf) {
  ParamsOutcome outcome;
  auto* p = params(outcome);
  add(p, 0, 0, kStride, DRM_FORMAT_MOD_LINEAR);
  zwp_linux_buffer_params_v1_create(p, kW, kH, DRM_FORMAT_XRGB8888, 0);
  ASSERT_TRUE(pump(*client, [&] { return outcome.created || outcome.failed; }));
  ASSERT_NE(outcome.created, nullptr);
  EXPECT_EQ(importer.calls, 1);
  EXPECT_EQ(importer.last.width, kW);
  EXPECT_EQ(importer.last.n_planes, 1);
  EXPECT_EQ(counters.imports_ok, 1u);
  zwp_linux_buffer_params_v1_destroy(p);

  wl_resource* resource = wl_client_get_object(client->server_side, wl_proxy_get_id((wl_proxy*)outcome.created));
  wlr_buffer* buffer = wlr_buffer_try_from_resource(resource);
  ASSERT_NE(buffer, nullptr) << "wlroots must find our wl_buffer";
  wlr_dmabuf_attributes attributes;
  ASSERT_TRUE(wlr_buffer_get_dmabuf(buffer, &attributes));
  EXPECT_EQ(attributes.format, DRM_FORMAT_XRGB8888);
  EXPECT_EQ(attributes.modifier, DRM_FORMAT_MOD_LINEAR);
  EXPECT_EQ(attributes.height, kH);
  EXPECT_EQ(attributes.stride[0], uint32_t(kStride));
  EXPECT_GE(attributes.fd[0], 0);

  // The buffer outlives its wl_buffer while wlroots holds it; release goes
  // to the client only while the wl_buffer exists.
  static const wl_buffer_listener release_listener = {
      .release = [](void* data, wl_buffer*) { ++*static_cast<int*>(data); }};
  int released = 0;
  wl_buffer_add_listener(outcome.created, &release_listener, &released);
  // Whoever hangs state on the buffer hears it go: its destroy event, and
  // its addons (the renderer caches its import in one; left behind, it
  // corrupted the heap at exit in the VM).
  bool destroyed = false;
  tranche::Listener on_destroy;
  on_destroy.connect(&buffer->events.destroy, [&](void*) {
    destroyed = true;
    on_destroy.disconnect();
  });
  struct Addon {
    wlr_addon addon;
    bool gone;
  } addon{{}, false};
  static const wlr_addon_interface addon_impl = {.name = "dmabuf-test", .destroy = [](wlr_addon* a) {
    Addon* self = wl_container_of(a, self, addon);
    self->gone = true;
    wlr_addon_finish(a);
  }};
  wlr_addon_init(&addon.addon, &buffer->addons, nullptr, &addon_impl);
  wlr_buffer_unlock(buffer);
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_EQ(released, 1);
  EXPECT_FALSE(destroyed);
  wl_buffer_destroy(outcome.created);
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_EQ(wl_display_get_error(client->display), 0);
  EXPECT_TRUE(destroyed);
  EXPECT_TRUE(addon.gone);
  if (!addon.gone) wlr_addon_finish(&addon.addon);
}

TEST_P(DmabufTest, CreateImmedGivesABufferOrAnError) {
  ParamsOutcome outcome;
  auto* p = params(outcome);
  add(p, 0);
  wl_buffer* buffer = zwp_linux_buffer_params_v1_create_immed(p, kW, kH, DRM_FORMAT_XRGB8888, 0);
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_FALSE(outcome.failed);
  wlr_buffer* server_buffer =
      wlr_buffer_try_from_resource(wl_client_get_object(client->server_side, wl_proxy_get_id((wl_proxy*)buffer)));
  ASSERT_NE(server_buffer, nullptr);
  EXPECT_EQ(server_buffer->width, kW);
  wlr_buffer_unlock(server_buffer);
  wl_buffer_destroy(buffer);
  zwp_linux_buffer_params_v1_destroy(p);

  importer.accept = false;
  ParamsOutcome refused;
  auto* q = client->own(params(refused));  // the error ends the connection before q is destroyed
  add(q, 0);
  client->own(zwp_linux_buffer_params_v1_create_immed(q, kW, kH, DRM_FORMAT_XRGB8888, 0));
  EXPECT_EQ(params_error(), ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER);
  EXPECT_EQ(counters.imports_failed, 1u);
}

TEST_P(DmabufTest, ImportFailureIsFailed) {
  importer.accept = false;
  ParamsOutcome outcome;
  auto* p = client->own(params(outcome));
  add(p, 0);
  zwp_linux_buffer_params_v1_create(p, kW, kH, DRM_FORMAT_XRGB8888, 0);
  ASSERT_TRUE(pump(*client, [&] { return outcome.created || outcome.failed; }));
  EXPECT_TRUE(outcome.failed);
  EXPECT_EQ(params_error(), -1) << "failed is not fatal";
}

TEST_P(DmabufTest, FlagsAreFailedNotImported) {
  ParamsOutcome outcome;
  auto* p = client->own(params(outcome));
  add(p, 0);
  zwp_linux_buffer_params_v1_create(p, kW, kH, DRM_FORMAT_XRGB8888, ZWP_LINUX_BUFFER_PARAMS_V1_FLAGS_Y_INVERT);
  ASSERT_TRUE(pump(*client, [&] { return outcome.created || outcome.failed; }));
  EXPECT_TRUE(outcome.failed);
  EXPECT_EQ(importer.calls, 0);
}

// One broken request per case, and the error the spec names.
struct BadCase {
  const char* name;
  std::function<void(DmabufTest&, zwp_linux_buffer_params_v1*)> run;
  int error;  // -1: `failed`, not an error
};

TEST_P(DmabufTest, ArgumentErrors) {
  const uint32_t version = GetParam();
  const uint64_t kXTiled = I915_FORMAT_MOD_X_TILED;
  auto create = [](zwp_linux_buffer_params_v1* p, int w = kW, int h = kH, uint32_t format = DRM_FORMAT_XRGB8888) {
    zwp_linux_buffer_params_v1_create(p, w, h, format, 0);
  };
  std::vector<BadCase> cases = {
      {"no planes", [&](auto&, auto* p) { create(p); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE},
      {"gap", [&](auto& t, auto* p) { t.add(p, 1); create(p); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE},
      {"plane index", [&](auto& t, auto* p) { t.add(p, 4); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX},
      {"plane set twice", [&](auto& t, auto* p) { t.add(p, 0); t.add(p, 0); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET},
      {"used twice", [&](auto& t, auto* p) { t.add(p, 0); create(p); create(p); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED},
      {"add after create", [&](auto& t, auto* p) { t.add(p, 0); create(p); t.add(p, 1); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED},
      {"zero width", [&](auto& t, auto* p) { t.add(p, 0); create(p, 0); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS},
      {"negative height", [&](auto& t, auto* p) { t.add(p, 0); create(p, kW, -1); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS},
      {"offset past the end", [&](auto& t, auto* p) { t.add(p, 0, 0xfffffff0u); create(p); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS},
      {"stride past the end", [&](auto& t, auto* p) { t.add(p, 0, 0, 0x80000000u); create(p); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS},
      {"too few rows", [&](auto& t, auto* p) { t.add(p, 0); create(p, kW, kH * 2); }, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS},
      // Version 4 on: a pair never advertised is invalid_format; before, the import decides.
      {"format not advertised", [&](auto& t, auto* p) { t.add(p, 0); create(p, kW, kH, DRM_FORMAT_NV12); },
       version >= 4 ? ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT : -1},
      {"modifier not advertised", [&](auto& t, auto* p) { t.add(p, 0, 0, kStride, kXTiled); create(p); },
       version >= 4 ? ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT : -1},
      // Version 5 on: planes with different modifiers, at the add.
      {"mixed modifiers",
       [&](auto& t, auto* p) {
         t.add(p, 0);
         t.add(p, 1, 0, kStride, DRM_FORMAT_MOD_INVALID);
         create(p);
       },
       version >= 5 ? ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT : -1},
  };
  if (version >= 6)
    cases.push_back({"dev_t of 4 bytes",
                     [&](auto&, auto* p) {
                       wl_array array;
                       wl_array_init(&array);
                       *static_cast<uint32_t*>(wl_array_add(&array, 4)) = 0;
                       zwp_linux_buffer_params_v1_set_sampling_device(p, &array);
                       wl_array_release(&array);
                     },
                     ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DEV_T_SIZE});
  importer.accept = false;  // what reaches the import is refused: `failed`
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    client = connect();
    manager = bind_manager(*client, version);
    ParamsOutcome outcome;
    auto* p = client->own(params(outcome));
    c.run(*this, p);
    int got = params_error();
    EXPECT_EQ(got, c.error);
    if (c.error == -1) EXPECT_TRUE(outcome.failed);
    client.reset();
  }
}

TEST_P(DmabufTest, SamplingDeviceReachesTheImporter) {
  if (GetParam() < 6) GTEST_SKIP() << "set_sampling_device is version 6";
  ParamsOutcome outcome;
  auto* p = client->own(params(outcome));
  add(p, 0);
  const dev_t other = makedev(226, 129);
  wl_array array;
  wl_array_init(&array);
  *static_cast<dev_t*>(wl_array_add(&array, sizeof(dev_t))) = other;
  zwp_linux_buffer_params_v1_set_sampling_device(p, &array);
  wl_array_release(&array);
  zwp_linux_buffer_params_v1_create(p, kW, kH, DRM_FORMAT_XRGB8888, 0);
  ASSERT_TRUE(pump(*client, [&] { return outcome.created || outcome.failed; }));
  EXPECT_EQ(importer.last_sampling, uint64_t(other));
  if (outcome.created) client->own(outcome.created);
}

TEST_P(DmabufTest, GlobalGoneFirstLeavesObjectsInert) {
  ParamsOutcome outcome;
  auto* p = client->own(params(outcome));
  add(p, 0);
  FeedbackSeen* f = GetParam() >= 4 ? watch(zwp_linux_dmabuf_v1_get_default_feedback(manager)) : nullptr;
  ASSERT_TRUE(roundtrip(*client));
  dmabuf.reset();
  zwp_linux_buffer_params_v1_create(p, kW, kH, DRM_FORMAT_XRGB8888, 0);
  client->own(zwp_linux_dmabuf_v1_create_params(manager));
  ASSERT_TRUE(roundtrip(*client));
  EXPECT_FALSE(outcome.created);
  if (f) EXPECT_EQ(f->done, 1);
}

INSTANTIATE_TEST_SUITE_P(Versions, DmabufTest, testing::Values(3u, 4u, 5u, 6u),
                         [](const testing::TestParamInfo<uint32_t>& info) { return "v" + std::to_string(info.param); });

}  // namespace
}  // namespace tranche::test
