// Package config turns a keepalived.conf into gokeepalived's typed model.
// The syntax package parses the file into a positioned AST; this package
// checks it against a keyword table that knows every keyword of keepalived
// 2.2.7, validates values and cross references, applies keepalived's defaults
// and returns the model, or every problem found, each with file:line:col.
//
// Nothing is silently ignored: an unknown keyword is an error with a
// suggestion, and a keyword keepalived knows but gokeepalived does not
// implement yet is an error that says exactly that.
package config
