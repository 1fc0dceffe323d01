package image

import "time"

// epoch is the time of every archive entry, so that the same image gives
// the same tarball.
var epoch = time.Unix(0, 0).UTC()
