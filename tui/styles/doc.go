// Package styles holds every colour and text attribute of the interactive
// view in one semantic Styles struct, built for a light or dark background
// or for a monochrome terminal (NO_COLOR).
package styles
