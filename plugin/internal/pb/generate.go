package pb

//go:generate sh gen.sh
