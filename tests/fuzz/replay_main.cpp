// Runs a fuzz target over files and folders of inputs, without libFuzzer: the
// corpora (and every crash a fuzzer found, kept there) become regression tests
// in any build, gcc's included. Usage: fuzz-NAME-replay PATH...
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz.hpp"

extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace fs = std::filesystem;

static void run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path path(argv[i]);
    if (!fs::exists(path)) {
      std::fprintf(stderr, "replay: %s does not exist\n", argv[i]);
      return 1;
    }
    std::vector<fs::path> files;
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::recursive_directory_iterator(path))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::ranges::sort(files);  // the same order every run
    } else {
      files.push_back(path);
    }
    for (const auto& file : files) run_file(file);
    inputs += files.size();
  }
  std::fprintf(stderr, "replay: %zu inputs, no failure\n", inputs);
  return inputs > 0 ? 0 : 1;  // an empty corpus tests nothing
}
