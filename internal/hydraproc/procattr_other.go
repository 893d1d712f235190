//go:build !linux

package hydraproc

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
