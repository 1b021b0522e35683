package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"strconv"
)

// plotSoak draws the soak samples as three stacked panels (RSS in MiB,
// open descriptors, goroutines) against time, each with its minimum and
// maximum written at the left and the duration in minutes under the
// last one. Standard library only: the digits are a 3x5 pixel font.
func plotSoak(ss []soakSample, path string) error {
	const w, ph, margin, left = 900, 200, 20, 70
	h := 3*ph + 2*margin + 20
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	series := []struct {
		get func(soakSample) float64
		col color.RGBA
	}{
		{func(s soakSample) float64 { return float64(s.RSS) / (1 << 20) }, color.RGBA{200, 30, 30, 255}},
		{func(s soakSample) float64 { return float64(s.FDs) }, color.RGBA{30, 30, 200, 255}},
		{func(s soakSample) float64 { return float64(s.Goroutines) }, color.RGBA{30, 140, 30, 255}},
	}
	if len(ss) == 0 {
		return writePNG(img, path)
	}
	tmax := ss[len(ss)-1].At.Seconds()
	if tmax <= 0 {
		tmax = 1
	}
	grey := color.RGBA{160, 160, 160, 255}
	black := color.RGBA{0, 0, 0, 255}
	for k, sr := range series {
		top := margin + k*ph
		y0, y1 := top+10, top+ph-20 // plot area rows
		lo, hi := sr.get(ss[0]), sr.get(ss[0])
		for _, s := range ss {
			lo, hi = min(lo, sr.get(s)), max(hi, sr.get(s))
		}
		// Show 0 .. 120 % of the maximum so flatness is visible.
		lo, hi = 0, hi*1.2
		if hi == 0 {
			hi = 1
		}
		for x := left; x < w-margin; x++ {
			img.Set(x, y1, grey)
			img.Set(x, y0, grey)
		}
		for y := y0; y <= y1; y++ {
			img.Set(left, y, grey)
		}
		drawNumber(img, 4, y0, int(hi+0.5), black)
		drawNumber(img, 4, y1-10, 0, black)
		var mx int
		for _, s := range ss {
			mx = max(mx, int(sr.get(s)+0.5))
		}
		drawNumber(img, 4, (y0+y1)/2-5, mx, sr.col)
		px := func(s soakSample) (int, int) {
			x := left + int(s.At.Seconds()/tmax*float64(w-margin-left-1))
			y := y1 - int((sr.get(s)-lo)/(hi-lo)*float64(y1-y0))
			return x, y
		}
		for i := 1; i < len(ss); i++ {
			ax, ay := px(ss[i-1])
			bx, by := px(ss[i])
			line(img, ax, ay, bx, by, sr.col)
			line(img, ax, ay+1, bx, by+1, sr.col)
		}
	}
	drawNumber(img, w-margin-40, h-18, int(tmax/60+0.5), black)
	return writePNG(img, path)
}

func writePNG(img image.Image, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// line draws with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		img.Set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// digits is a 3x5 font: each digit is 5 rows of 3 bits.
var digits = [10][5]uint8{
	{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
	{7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
}

// drawNumber writes n at (x, y), each font pixel 2x2.
func drawNumber(img *image.RGBA, x, y, n int, c color.Color) {
	for _, ch := range strconv.Itoa(n) {
		if ch < '0' || ch > '9' {
			continue
		}
		g := digits[ch-'0']
		for r := 0; r < 5; r++ {
			for col := 0; col < 3; col++ {
				if g[r]&(4>>col) != 0 {
					for dy := 0; dy < 2; dy++ {
						for dx := 0; dx < 2; dx++ {
							img.Set(x+col*2+dx, y+r*2+dy, c)
						}
					}
				}
			}
		}
		x += 8
	}
}
