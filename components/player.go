package components

import (
	"context"
	"fmt"
	"strings"

	"oncelink/assets"
)

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
	// Captions is the URL of the clip's WebVTT captions in the reader's
	// language, or empty when it has none.
	Captions string
}

// playerTitleID is the id of m's title, which names its player and its
// audio or video element for screen readers. A page holds one player of
// each kind at most.
func playerTitleID(m Media) string { return "player-title-" + m.Kind }

// mediaNoun is the one word a page uses for a clip of kind, in its own
// sentences and in the player's.
func mediaNoun(ctx context.Context, kind string) string {
	return T(ctx, mediaText(kind, mediaNouns))
}

var mediaNouns = map[string]string{"audio": "player.noun.audio", "video": "player.noun.video"}

// mediaText is the id among ids, by kind, of a sentence about a clip of
// kind: the video's for any kind but audio.
func mediaText(kind string, ids map[string]string) string {
	if kind == "audio" {
		return ids["audio"]
	}
	return ids["video"]
}

// demoClips are the sample clips of the player demo, which
// assets/media/generate.go makes, named in the reader's language.
func demoClips(ctx context.Context) []Media {
	return []Media{
		{
			Kind:     "video",
			Src:      assets.Path("media/sample-video.webm"),
			Type:     `video/webm; codecs="vp9, opus"`,
			Title:    T(ctx, "player.clip.video"),
			Artist:   T(ctx, "player.clip.artist"),
			Demo:     true,
			Captions: DemoCaptionsPath(lang(ctx).Code),
		},
		{
			Kind:   "audio",
			Src:    assets.Path("media/sample-audio.webm"),
			Type:   `audio/webm; codecs="opus"`,
			Title:  T(ctx, "player.clip.audio"),
			Artist: T(ctx, "player.clip.artist"),
			Demo:   true,
		},
	}
}

// DemoCaptionsPath is where the demo video's captions in the language
// code are served.
func DemoCaptionsPath(code string) string { return "/player/captions/" + code }

// demoVideoSeconds is how long the demo video runs.
const demoVideoSeconds = 20

// DemoCaptions is the demo video's WebVTT captions, in ctx's language. They
// say the sound that assets/media/generate.go lays under its picture: a
// short chime on every second, a higher one on every fifth.
func DemoCaptions(ctx context.Context) string {
	cue := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	chime, high := cue.Replace(T(ctx, "player.captions.chime")), cue.Replace(T(ctx, "player.captions.high"))
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	for s := range demoVideoSeconds {
		text := chime
		if s%5 == 0 {
			text = high
		}
		fmt.Fprintf(&b, "\n00:00:%02d.000 --> 00:00:%02d.500\n%s\n", s, s, text)
	}
	return b.String()
}
