// core/export.h — marks the entry points libweft.so exports (interposes).
// Everything else is hidden (-fvisibility=hidden), so only these can bind.
#pragma once
#define WEFT_EXPORT extern "C" __attribute__((visibility("default")))
