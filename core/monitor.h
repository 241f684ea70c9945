// core/monitor.h — the monitor thread (core/monitor.cpp).
#pragma once

namespace weft {

// Starts the monitor and the M spawner (kernel threads made by glibc's
// pthread_create, which also makes glibc treat the process as
// multi-threaded). Called once, before the first thread is created; false
// if a kernel thread could not be made (blocking calls then hold up the
// other threads of their P until they return).
bool start_monitor();
// Whether start_monitor ran in this process: only then can an M be made to
// take the P of a wired G that parks (core/wire.h).
bool monitor_started();

}  // namespace weft
