package app

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/biometric-passkey/biometric-passkey/adminui"
)

// secretType is Secret's reflect.Type, which settings redacts.
var secretType = reflect.TypeFor[Secret]()

// settings flattens c into the dashboard's configuration view: one line
// per leaf, keyed by the dotted YAML path (slices of structs indexed, as
// in authenticator.events.endpoints[0].url), in declaration order. A
// Secret shows "[redacted]" when set; a store DSN that carries a password
// is redacted whole (DESIGN.md §7.8: secrets never leave the process).
func settings(c Config) []adminui.Setting {
	var out []adminui.Setting
	flatten(reflect.ValueOf(c), "", &out)
	for i, s := range out {
		if s.Key == "authenticator.store.dsn" && dsnHasPassword(s.Value) {
			out[i].Value = "[redacted: the DSN holds a password]"
		}
	}
	return out
}

func flatten(v reflect.Value, key string, out *[]adminui.Setting) {
	switch {
	case v.Type() == secretType:
		*out = append(*out, adminui.Setting{Key: key, Value: v.Interface().(Secret).String()})
		return
	case v.Type() == reflect.TypeFor[time.Duration]():
		*out = append(*out, adminui.Setting{Key: key, Value: v.Interface().(time.Duration).String()})
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			flatten(v.Field(i), strings.TrimPrefix(key+"."+name, "."), out)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			for i := range v.Len() {
				flatten(v.Index(i), fmt.Sprintf("%s[%d]", key, i), out)
			}
			return
		}
		fallthrough
	case reflect.Map:
		b, err := json.Marshal(v.Interface()) // sorted map keys; Secret elements redact themselves
		if err != nil {
			b = []byte("(not shown: " + err.Error() + ")")
		}
		*out = append(*out, adminui.Setting{Key: key, Value: string(b)})
	default:
		*out = append(*out, adminui.Setting{Key: key, Value: fmt.Sprint(v.Interface())})
	}
}

// dsnHasPassword reports whether a PostgreSQL DSN names a password.
func dsnHasPassword(dsn string) bool {
	params, err := parsePostgresDSN(dsn)
	return err == nil && params["password"] != ""
}
