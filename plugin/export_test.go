package plugin

// PluginName is the go-plugin plugin name, for tests that dispense it.
const PluginName = pluginName

// PID returns the process id of the running plugin, or 0 when none runs.
func (h *Host) PID() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == nil {
		return 0
	}
	return h.cur.pid()
}

// Generation returns how many plugin processes the host has started.
func (h *Host) Generation() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gen
}

// NewGRPCServer is the gRPC server constructor Serve gives go-plugin.
var NewGRPCServer = newGRPCServer

// DialOptions are the gRPC dial options Launch gives go-plugin.
var DialOptions = dialOptions
