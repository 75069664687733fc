#include "dma_buf_access.hpp"

#include <linux/dma-buf.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace tranche::copy {

namespace {
uint64_t access_flags(Access access) {
  switch (access) {
    case Access::Read: return DMA_BUF_SYNC_READ;
    case Access::Write: return DMA_BUF_SYNC_WRITE;
    case Access::ReadWrite: return DMA_BUF_SYNC_RW;
  }
  return DMA_BUF_SYNC_RW;
}

int sync_ioctl(int fd, uint64_t flags) {
  dma_buf_sync sync{.flags = flags};
  int ret;
  do ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
  while (ret == -1 && (errno == EINTR || errno == EAGAIN));
  return ret;
}
}  // namespace

std::expected<DmaBufAccess, std::string> DmaBufAccess::begin(int fd, Access access) {
  uint64_t flags = access_flags(access);
  if (sync_ioctl(fd, DMA_BUF_SYNC_START | flags) != 0)
    return std::unexpected(std::string("DMA_BUF_IOCTL_SYNC start: ") + strerror(errno));
  return DmaBufAccess(fd, flags);
}

std::expected<void, std::string> DmaBufAccess::end() {
  if (fd_ < 0) return {};
  int fd = fd_;
  fd_ = -1;
  if (sync_ioctl(fd, DMA_BUF_SYNC_END | flags_) != 0)
    return std::unexpected(std::string("DMA_BUF_IOCTL_SYNC end: ") + strerror(errno));
  return {};
}

DmaBufAccess::~DmaBufAccess() { (void)end(); }

}  // namespace tranche::copy
