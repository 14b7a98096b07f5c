package components

import "oncelink/assets"

// Media is one audio or video clip as the player shows it, on the demo page
// and on a shared media link.
type Media struct {
	// Kind is "video" or "audio".
	Kind string
	// Src is the clip's URL, and Type its MIME type, such as
	// `video/webm; codecs="vp9, opus"`, or empty when it is not known.
	Src, Type string
	// Title and Artist name the clip on the page and in the system's media
	// controls (Media Session).
	Title, Artist string
	// Demo marks the demo's own clips, whose player says how to try it.
	Demo bool
}

// mediaNoun is the one word a page uses for a clip of kind, in its own
// sentences and in the player's.
func mediaNoun(kind string) string {
	if kind == "audio" {
		return "recording"
	}
	return "video"
}

// demoClips are the sample clips of the player demo, which
// assets/media/generate.go makes.
var demoClips = []Media{
	{
		Kind:   "video",
		Src:    assets.Path("media/sample-video.webm"),
		Type:   `video/webm; codecs="vp9, opus"`,
		Title:  "Test pattern with a running timer",
		Artist: "oncelink sample",
		Demo:   true,
	},
	{
		Kind:   "audio",
		Src:    assets.Path("media/sample-audio.webm"),
		Type:   `audio/webm; codecs="opus"`,
		Title:  "Chimes in C",
		Artist: "oncelink sample",
		Demo:   true,
	},
}
