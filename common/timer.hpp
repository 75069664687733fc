// A one-shot timer on the event loop with nanosecond precision (timerfd on
// CLOCK_MONOTONIC): wl_event_loop's own timers only count milliseconds, too
// coarse to place work within a 16 ms refresh.
#pragma once

#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <functional>

#include <wayland-server-core.h>

namespace tranche {

inline int64_t monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

class Timer {
 public:
  Timer(wl_event_loop* loop, std::function<void()> callback) : callback_(std::move(callback)) {
    fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd_ >= 0) source_ = wl_event_loop_add_fd(loop, fd_, WL_EVENT_READABLE, &Timer::fire, this);
  }
  ~Timer() {
    if (source_) wl_event_source_remove(source_);
    if (fd_ >= 0) close(fd_);
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires once at `when` (CLOCK_MONOTONIC ns); a time in the past fires at once.
  void arm_at(int64_t when) {
    if (when <= 0) when = 1;  // 0 would disarm
    itimerspec spec{};
    spec.it_value.tv_sec = when / 1'000'000'000;
    spec.it_value.tv_nsec = when % 1'000'000'000;
    timerfd_settime(fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
    armed_ = true;
    deadline_ = when;
  }
  void disarm() {
    itimerspec spec{};
    timerfd_settime(fd_, 0, &spec, nullptr);
    armed_ = false;
  }
  bool armed() const { return armed_; }
  int64_t deadline() const { return deadline_; }  // meaningful while armed

 private:
  static int fire(int fd, uint32_t, void* data) {
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) < 0) return 0;
    auto* self = static_cast<Timer*>(data);
    self->armed_ = false;
    self->callback_();
    return 0;
  }

  std::function<void()> callback_;
  int fd_ = -1;
  wl_event_source* source_ = nullptr;
  bool armed_ = false;
  int64_t deadline_ = 0;
};

}  // namespace tranche
