package main

import (
	"testing"

	"github.com/biometric-passkey/biometric-passkey/internal/devstack"
)

func TestDashboardLine(t *testing.T) {
	t.Parallel()
	s := &devstack.Stack{DashboardURL: "http://localhost:8082", Operators: []devstack.DemoOperator{
		{Role: "support", EnrollmentURL: "http://l/enroll?token=s"},
		{Role: "fraud", EnrollmentURL: "http://l/enroll?token=f"},
		{Role: "admin", EnrollmentURL: "http://l/enroll?token=a"},
	}}
	want := "  Operator dashboard                 http://localhost:8082\n" +
		"  Enroll a demo operator first (a one-time link each; then sign in there):\n" +
		"    support  http://l/enroll?token=s\n    fraud    http://l/enroll?token=f\n    admin    http://l/enroll?token=a\n"
	if got := dashboardLine(s); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
