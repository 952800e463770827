/*
 * bcryptprimitives.dll for Wine 8, which has none (Wine added it in 9.x).
 *
 * The Bun-built Windows agent (device-agent-windows-amd64.exe) imports ProcessPrng from
 * bcryptprimitives.dll, as everything built with Rust >= 1.78 or Zig's std does: Windows 10
 * and later ship it. Without it Wine's loader stops the executable before it runs
 * (status c0000135, STATUS_DLL_NOT_FOUND). Real Windows never loads this file.
 *
 * ProcessPrng(buffer, size) fills the buffer with random bytes and always returns TRUE;
 * here it is RtlGenRandom (advapi32's SystemFunction036), which Wine backs with the host's
 * getrandom(). RtlGenRandom takes a ULONG length, so larger buffers go in pieces.
 *
 * Built by scripts/wine/setup.sh with Debian's x86_64-w64-mingw32-gcc.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
  while (size > 0) {
    ULONG piece = size > 0x40000000 ? 0x40000000 : (ULONG)size;
    if (!SystemFunction036(data, piece)) return FALSE;
    data += piece;
    size -= piece;
  }
  return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance;
  (void)reason;
  (void)reserved;
  return TRUE;
}
