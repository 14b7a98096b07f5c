//go:build ignore

// Generate writes the sample clips of the media player demo into
// assets/static/media: a short chime melody (sample-audio.webm, Opus) and a
// moving test pattern with a running timer (sample-video.webm, VP9 and Opus).
//
// The program computes every sample and every pixel itself and only asks
// ffmpeg to encode them, so the clips owe nothing to anyone else and come out
// the same on every run with the same ffmpeg. Run it from the repository root:
//
//	go run assets/media/generate.go
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
)

const (
	sampleRate = 48000
	seconds    = 20

	width  = 320
	height = 180
	fps    = 25
)

func main() {
	out := flag.String("out", filepath.Join("assets", "static", "media"), "directory to write the clips into")
	ffmpeg := flag.String("ffmpeg", "ffmpeg", "the ffmpeg binary (Debian package ffmpeg)")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*out, *ffmpeg); err != nil {
		log.Fatal("generate: ", err)
	}
}

func run(out, ffmpeg string) error {
	bin, err := exec.LookPath(ffmpeg)
	if err != nil {
		return fmt.Errorf("%w (install it with: apt-get install -y ffmpeg)", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "oncelink-media-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	chimesPCM := filepath.Join(tmp, "chimes.s16")
	if err := writePCM(chimesPCM, chimes()); err != nil {
		return err
	}
	ticksPCM := filepath.Join(tmp, "ticks.s16")
	if err := writePCM(ticksPCM, ticks()); err != nil {
		return err
	}

	audio := filepath.Join(out, "sample-audio.webm")
	err = encode(bin, audio, nil,
		rawAudioInput(chimesPCM),
		"-map", "0:a", "-c:a", "libopus", "-b:a", "40k", "-application", "audio",
	)
	if err != nil {
		return err
	}

	video := filepath.Join(out, "sample-video.webm")
	err = encode(bin, video, frames,
		[]string{"-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", fmt.Sprintf("%dx%d", width, height),
			"-framerate", fmt.Sprint(fps), "-i", "pipe:0"},
		rawAudioInput(ticksPCM),
		"-map", "0:v", "-map", "1:a",
		"-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
		"-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
		"-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "30", "-g", "50",
		"-deadline", "good", "-cpu-used", "2", "-row-mt", "0", "-threads", "1",
		"-c:a", "libopus", "-b:a", "32k",
	)
	if err != nil {
		return err
	}
	for _, name := range []string{audio, video} {
		fi, err := os.Stat(name)
		if err != nil {
			return err
		}
		log.Printf("%s: %d bytes", name, fi.Size())
	}
	return nil
}

func rawAudioInput(name string) []string {
	return []string{"-f", "s16le", "-ar", fmt.Sprint(sampleRate), "-ac", "1", "-i", name}
}

// encode runs ffmpeg with the given arguments and writes dst through a
// temporary file, so an interrupted run never leaves half a clip behind.
// When stdin is not nil, it feeds ffmpeg's standard input.
func encode(ffmpeg, dst string, stdin func(io.Writer) error, args ...any) error {
	argv := []string{"-hide_banner", "-loglevel", "error", "-y"}
	if stdin == nil {
		argv = append(argv, "-nostdin")
	}
	for _, a := range args {
		switch a := a.(type) {
		case string:
			argv = append(argv, a)
		case []string:
			argv = append(argv, a...)
		}
	}
	tmp := dst + ".tmp.webm"
	// Bit-exact flags keep the encoder's version string and random segment
	// identifiers out of the file, so a rerun changes no byte.
	argv = append(argv, "-map_metadata", "-1", "-fflags", "+bitexact",
		"-flags:v", "+bitexact", "-flags:a", "+bitexact", "-t", fmt.Sprint(seconds), "-f", "webm", tmp)

	cmd := exec.Command(ffmpeg, argv...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	var pipe io.WriteCloser
	if stdin != nil {
		var err error
		if pipe, err = cmd.StdinPipe(); err != nil {
			return err
		}
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	var feedErr error
	if stdin != nil {
		w := bufio.NewWriterSize(pipe, 1<<20)
		feedErr = stdin(w)
		if feedErr == nil {
			feedErr = w.Flush()
		}
		pipe.Close()
	}
	if err := errors.Join(cmd.Wait(), feedErr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ffmpeg %s: %w", filepath.Base(dst), err)
	}
	return os.Rename(tmp, dst)
}

func writePCM(name string, samples []float64) error {
	buf := make([]byte, 2*len(samples))
	for i, s := range samples {
		v := math.Round(max(-1, min(1, s)) * 32767)
		binary.LittleEndian.PutUint16(buf[2*i:], uint16(int16(v)))
	}
	return os.WriteFile(name, buf, 0o644)
}

// pitch returns the frequency of a MIDI note number (69 is A4, 440 Hz).
func pitch(note int) float64 { return 440 * math.Pow(2, float64(note-69)/12) }

// pluck adds a soft, bell-like note to track: a sine with a little of its
// second and third harmonics, a 5 ms attack and an exponential decay.
func pluck(track []float64, start, freq, gain, decay float64) {
	first := int(start * sampleRate)
	for i := first; i < len(track); i++ {
		t := float64(i-first) / sampleRate
		env := gain * (1 - math.Exp(-t/0.005)) * math.Exp(-t/decay)
		if env < 1e-5 && t > 0.01 {
			break
		}
		w := 2 * math.Pi * freq * t
		track[i] += env * (math.Sin(w) + 0.25*math.Exp(-t/0.1)*math.Sin(2*w) + 0.08*math.Sin(3*w))
	}
}

// chimes is the audio sample: ten bars of arpeggios over C, Am, F and G at
// 120 beats a minute, with a bass note per bar and a final chord.
func chimes() []float64 {
	track := make([]float64, seconds*sampleRate)
	chords := [][]int{
		{60, 64, 67, 72}, {57, 60, 64, 69}, {53, 57, 60, 65}, {55, 59, 62, 67},
		{60, 64, 67, 72}, {57, 60, 64, 69}, {53, 57, 60, 65}, {55, 59, 62, 67},
		{53, 57, 60, 65}, {48, 60, 64, 67, 72},
	}
	pattern := []int{0, 1, 2, 3, 2, 1, 2, 1}
	const bar = 2.0
	for b, chord := range chords {
		start := float64(b) * bar
		pluck(track, start, pitch(chord[0]-12), 0.35, 0.9)
		if b == len(chords)-1 {
			for i, n := range chord {
				pluck(track, start+0.03*float64(i), pitch(n), 0.16, 0.8)
			}
			continue
		}
		for i, k := range pattern {
			pluck(track, start+float64(i)*bar/8, pitch(chord[k]), 0.2, 0.35)
		}
	}
	return master(track)
}

// ticks is the sound of the video sample: a short chime on every second, a
// higher one on every fifth, so that picture and sound can be checked for
// sync against the timer.
func ticks() []float64 {
	track := make([]float64, seconds*sampleRate)
	for s := range seconds {
		freq, gain := pitch(81), 0.25
		if s%5 == 0 {
			freq, gain = pitch(88), 0.35
		}
		pluck(track, float64(s), freq, gain, 0.08)
	}
	return master(track)
}

// master scales track to a peak of -3 dBFS and fades out its last half
// second.
func master(track []float64) []float64 {
	peak := 0.0
	for _, s := range track {
		peak = max(peak, math.Abs(s))
	}
	fade := sampleRate / 2
	for i := range track {
		track[i] *= 0.7 / peak
		if left := len(track) - i; left < fade {
			track[i] *= float64(left) / float64(fade)
		}
	}
	return track
}

type rgb struct{ r, g, b uint8 }

var (
	background = rgb{0x15, 0x17, 0x1c}
	dim        = rgb{0x3a, 0x3e, 0x4a}
	foreground = rgb{0xf1, 0xf2, 0xf6}
	accent     = rgb{0x7c, 0x97, 0xff}
	// bars are the classic 75% colour bars.
	bars = []rgb{{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0}, {191, 0, 191}, {191, 0, 0}, {0, 0, 191}}
)

type canvas []byte

func (c canvas) set(x, y int, p rgb) {
	if x < 0 || y < 0 || x >= width || y >= height {
		return
	}
	i := 3 * (y*width + x)
	c[i], c[i+1], c[i+2] = p.r, p.g, p.b
}

func (c canvas) blend(x, y int, p rgb, alpha float64) {
	if x < 0 || y < 0 || x >= width || y >= height || alpha <= 0 {
		return
	}
	i := 3 * (y*width + x)
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a)*(1-alpha) + float64(b)*alpha)) }
	c[i], c[i+1], c[i+2] = mix(c[i], p.r), mix(c[i+1], p.g), mix(c[i+2], p.b)
}

func (c canvas) rect(x0, y0, x1, y1 int, p rgb) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			c.set(x, y, p)
		}
	}
}

// disc draws a filled circle with a one-pixel soft edge.
func (c canvas) disc(cx, cy, r float64, p rgb) {
	for y := int(cy - r - 1); y <= int(cy+r+1); y++ {
		for x := int(cx - r - 1); x <= int(cx+r+1); x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			c.blend(x, y, p, min(1, r+0.5-d))
		}
	}
}

// segments lists the lit segments of each digit of a seven-segment display,
// in the order a (top), b, c, d (bottom), e, f, g (middle).
var segments = [10]string{
	"abcdef", "bc", "abdeg", "abcdg", "bcfg", "acdfg", "acdefg", "abc", "abcdefg", "abcdfg",
}

const (
	digitW, digitH, stroke, gap = 22, 42, 5, 6
)

// glyphWidth is the width of a character of the timer: a digit, ':' or '.'.
func glyphWidth(ch rune) int {
	if ch >= '0' && ch <= '9' {
		return digitW
	}
	return stroke
}

func (c canvas) glyph(x, y int, ch rune, p rgb) {
	switch ch {
	case ':':
		c.rect(x, y+digitH/3-stroke/2, x+stroke, y+digitH/3+stroke-stroke/2, p)
		c.rect(x, y+2*digitH/3-stroke/2, x+stroke, y+2*digitH/3+stroke-stroke/2, p)
		return
	case '.':
		c.rect(x, y+digitH-stroke, x+stroke, y+digitH, p)
		return
	}
	mid := y + digitH/2
	for _, s := range segments[ch-'0'] {
		switch s {
		case 'a':
			c.rect(x+stroke, y, x+digitW-stroke, y+stroke, p)
		case 'b':
			c.rect(x+digitW-stroke, y+stroke, x+digitW, mid-1, p)
		case 'c':
			c.rect(x+digitW-stroke, mid+1, x+digitW, y+digitH-stroke, p)
		case 'd':
			c.rect(x+stroke, y+digitH-stroke, x+digitW-stroke, y+digitH, p)
		case 'e':
			c.rect(x, mid+1, x+stroke, y+digitH-stroke, p)
		case 'f':
			c.rect(x, y+stroke, x+stroke, mid-1, p)
		case 'g':
			c.rect(x+stroke, mid-stroke/2, x+digitW-stroke, mid+stroke-stroke/2, p)
		}
	}
}

func (c canvas) text(cy int, s string, p rgb) {
	total := -gap
	for _, ch := range s {
		total += glyphWidth(ch) + gap
	}
	x := (width - total) / 2
	for _, ch := range s {
		c.glyph(x, cy-digitH/2, ch, p)
		x += glyphWidth(ch) + gap
	}
}

// frame draws picture n: colour bars, a running timer (minutes, seconds and
// tenths), a ball that crosses the screen every second and a progress bar
// with a tick per second.
func frame(c canvas, n int) {
	t := float64(n) / fps
	c.rect(0, 0, width, height, background)
	for i, p := range bars {
		c.rect(i*width/len(bars), 0, (i+1)*width/len(bars), 40, p)
	}
	tenths := n * 10 / fps
	c.text(84, fmt.Sprintf("%02d:%02d.%d", tenths/600, tenths/10%60, tenths%10), foreground)

	const trackY, margin = 128, 16
	c.rect(margin, trackY-1, width-margin, trackY+1, dim)
	phase := t - math.Floor(t)
	ball := margin + (width-2*margin)*(0.5-0.5*math.Cos(math.Pi*phase))
	if int(t)%2 == 1 {
		ball = width - ball
	}
	c.disc(ball, trackY, 8, accent)

	const barY0, barY1 = 152, 164
	c.rect(margin, barY0, width-margin, barY1, dim)
	c.rect(margin, barY0, margin+int(math.Round(float64(width-2*margin)*t/seconds)), barY1, accent)
	for s := 1; s < seconds; s++ {
		x, tick := margin+(width-2*margin)*s/seconds, 3
		if s%5 == 0 {
			tick = 6
		}
		c.rect(x, barY1, x+1, barY1+tick, foreground)
	}
}

// frames writes every picture of the video as raw RGB.
func frames(w io.Writer) error {
	c := make(canvas, 3*width*height)
	for n := range seconds * fps {
		frame(c, n)
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	return nil
}
