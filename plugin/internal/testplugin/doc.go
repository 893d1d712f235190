// Command testplugin is a plugin binary for the plugin package's subprocess
// tests. It serves fixed data, except that FinishAuthentication of the
// ceremony "block" blocks until its context ends, so a test can kill the
// process while a call is in flight.
package main
