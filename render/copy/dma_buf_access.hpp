// CPU access to a dma-buf, bracketed with DMA_BUF_IOCTL_SYNC: SYNC_START
// before the first byte, SYNC_END after the last, so the exporter can flush or
// invalidate caches and wait for the device (see the kernel's dma-buf docs).
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace tranche::copy {

enum class Access : uint8_t { Read, Write, ReadWrite };

class DmaBufAccess {
 public:
  // Starts CPU access to `fd` (not owned; must outlive this object).
  static std::expected<DmaBufAccess, std::string> begin(int fd, Access access);
  DmaBufAccess(DmaBufAccess&& other) noexcept : fd_(other.fd_), flags_(other.flags_) { other.fd_ = -1; }
  DmaBufAccess& operator=(DmaBufAccess&&) = delete;
  DmaBufAccess(const DmaBufAccess&) = delete;
  ~DmaBufAccess();  // SYNC_END

  // Ends access now; returns the error, if SYNC_END failed.
  std::expected<void, std::string> end();

 private:
  DmaBufAccess(int fd, uint64_t flags) : fd_(fd), flags_(flags) {}
  int fd_;
  uint64_t flags_;
};

}  // namespace tranche::copy
