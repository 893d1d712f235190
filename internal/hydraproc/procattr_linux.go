package hydraproc

import "syscall"

// sysProcAttr asks the kernel to SIGKILL Hydra when the thread that started
// it exits, so a test binary that dies (panic, timeout) leaves no Hydra
// behind, and puts Hydra in a process group of its own, so a terminal's
// Ctrl-C (sent to the whole foreground group) reaches the program that
// started Hydra, which stops it in order, and not Hydra itself.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
