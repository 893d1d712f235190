package hydraproc

import "syscall"

// sysProcAttr asks the kernel to SIGKILL Hydra when the thread that started
// it exits, so a test binary that dies (panic, timeout) leaves no Hydra
// behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
