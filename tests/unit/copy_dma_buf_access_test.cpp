#include <fcntl.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "copy/dma_buf_access.hpp"

using namespace tranche::copy;

namespace {

TEST(DmaBufAccess, RefusesAFileThatIsNotADmaBuf) {
  int fd = memfd_create("not-a-dma-buf", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto access = DmaBufAccess::begin(fd, Access::Write);
  ASSERT_FALSE(access.has_value());
  EXPECT_NE(access.error().find("DMA_BUF_IOCTL_SYNC start"), std::string::npos) << access.error();
  close(fd);
}

TEST(DmaBufAccess, RefusesABadFd) {
  EXPECT_FALSE(DmaBufAccess::begin(-1, Access::Read).has_value());
}

// A real dma-buf where the kernel offers udmabuf (the VM tier does; most
// containers do not): start and end succeed, and a second end is a no-op.
TEST(DmaBufAccess, BracketsARealDmaBuf) {
  int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
  if (dev < 0) GTEST_SKIP() << "no /dev/udmabuf here";
  int mem = memfd_create("udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  ASSERT_GE(mem, 0);
  ASSERT_EQ(ftruncate(mem, 4096), 0);
  ASSERT_EQ(fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK), 0);
  udmabuf_create create{.memfd = static_cast<uint32_t>(mem), .flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = 4096};
  int buf = ioctl(dev, UDMABUF_CREATE, &create);
  ASSERT_GE(buf, 0);
  {
    auto access = DmaBufAccess::begin(buf, Access::ReadWrite);
    ASSERT_TRUE(access.has_value()) << access.error();
    EXPECT_TRUE(access->end().has_value());
    EXPECT_TRUE(access->end().has_value());
  }
  close(buf);
  close(mem);
  close(dev);
}
}  // namespace
