// tests/compare/live_single_threaded.cpp — after the first thread is
// created the process is multi-threaded for glibc and libstdc++ too.
//
// glibc clears __libc_single_threaded at the first pthread_create; libstdc++
// reads it to choose between plain and atomic reference counts and
// synchronisation. If it stayed set, shared_ptr counts would be plain
// increments (lost updates between threads), and std::jthread's stop
// machinery would skip its synchronisation (request_stop with a
// stop_callback, condition_variable_any::wait with a stop_token hang).
#include <sys/single_threaded.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "sync_common.h"

namespace {

void flag_after_first_thread() {
  std::printf("__libc_single_threaded before any thread: %d\n", int(__libc_single_threaded));
  std::thread t([] {});
  t.join();
  std::printf("__libc_single_threaded after the first thread: %d\n", int(__libc_single_threaded));
}

// request_stop() in the main thread runs a callback registered by another
// thread, which then sees the stop and ends.
void stop_callback_in_other_thread() {
  std::atomic<int> callbacks{0};
  std::atomic<bool> registered{false};
  std::jthread worker([&](std::stop_token st) {
    std::stop_callback cb(st, [&] { callbacks.fetch_add(1); });
    registered.store(true);
    registered.notify_one();
    while (!st.stop_requested()) std::this_thread::yield();
  });
  registered.wait(false);
  worker.request_stop();
  worker.join();
  std::printf("stop_callback ran %d time(s); the jthread ended\n", callbacks.load());
}

// A condition_variable_any wait with a stop_token returns when stop is
// requested from another thread.
void condvar_any_stop_token() {
  std::mutex m;
  std::condition_variable_any cv;
  std::atomic<bool> waiting{false};
  bool woke_by_stop = false;
  std::jthread worker([&](std::stop_token st) {
    std::unique_lock<std::mutex> l(m);
    waiting.store(true);
    waiting.notify_one();
    bool pred = cv.wait(l, st, [] { return false; });
    woke_by_stop = !pred && st.stop_requested();
  });
  waiting.wait(false);
  worker.request_stop();
  worker.join();
  std::printf("condition_variable_any::wait with a stop_token: %s\n",
              woke_by_stop ? "woken by the stop" : "wrong result");
}

// 8 threads copy and drop one shared_ptr 10^6 times each.
void shared_ptr_counts() {
  auto sp = std::make_shared<int>(42);
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; i++)
    ts.emplace_back([sp] {
      for (int k = 0; k < 1000000; k++) {
        std::shared_ptr<int> copy = sp;
        (void)copy;
      }
    });
  for (auto& t : ts) t.join();
  std::printf("shared_ptr use_count after 8 x 10^6 copies: %ld\n", sp.use_count());
}

}  // namespace

int main() {
  flag_after_first_thread();
  stop_callback_in_other_thread();
  condvar_any_stop_token();
  shared_ptr_counts();
  return 0;
}
