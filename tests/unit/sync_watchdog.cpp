// tests/unit/sync_watchdog.cpp — a per-test time limit for the Sync* tests.
//
// Many sync tests block until another thread acts (a wake-up, an owner's
// death, a child process). An implementation that loses the event hangs the
// whole unit binary, and with --gtest_brief=1 nothing says where. This
// listener arms alarm() when a test whose suite name starts with "Sync"
// starts and disarms it when the test ends; on expiry the SIGALRM handler
// names the test on stderr and exits with status 124. Other owners' tests in
// the same binary are not affected. (fork() children do not inherit alarms.)
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace {

constexpr unsigned kLimitSeconds = 120;
char g_message[512];  // formatted before arming: the handler only write()s it

void on_alarm(int) {
  ssize_t unused = write(2, g_message, strlen(g_message));
  (void)unused;
  _exit(124);
}

class SyncWatchdog : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& t) override {
    if (strncmp(t.test_suite_name(), "Sync", 4) != 0 && !strstr(t.test_suite_name(), "/Sync"))
      return;
    snprintf(g_message, sizeof g_message, "\nsync watchdog: %s.%s still running after %u s\n",
             t.test_suite_name(), t.name(), kLimitSeconds);
    struct sigaction sa = {};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, nullptr);
    alarm(kLimitSeconds);
  }
  void OnTestEnd(const ::testing::TestInfo&) override { alarm(0); }
};

// Registered during static initialisation, before gtest_main runs the tests.
const bool g_registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new SyncWatchdog);
  return true;
}();

}  // namespace
