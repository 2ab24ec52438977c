package failures

// The engines' documented error codes, by what they mean for the file's
// owner. Codes that transcoder's jobs cannot meet (watermarks, captions,
// clipping, encryption, HTTP inputs: it sends none of these) are the
// service's fault if they ever appear: its settings or its wiring made them.

// mediaConvert reads MediaConvert's codes (AWS Elemental MediaConvert User
// Guide, "Error codes"), which the local engine also uses, with one of its
// own (4010). Where a code covers several causes, the message tells which.
func mediaConvert(code int, message string) Reason {
	switch code {
	case 1010: // File access / Input Error: inaccessible, corrupt or unsupported
		return refine(message, Unreadable)
	case 1021, 1022: // Audio Error: no audio stream in the input
		return NoAudio
	case 1030: // Unsupported Codec: codec or container not supported
		return Unsupported
	case 1040, 1041, 1042, 1043, 1060, 1080, 1091:
		// Settings, acceleration, clipping, MXF output and encryption
		// errors: the job's settings, which the service writes.
		return Service
	case 1050, 1507: // Disk Full: the engine's own storage
		return Service
	case 1056: // File Open Error: an input or an output cannot be opened
		return refine(message, Service)
	case 1075, 1092, 1093: // Demuxer Parse Error, Decode Audio Initialization Error
		return refine(message, Unreadable)
	case 1076: // Source Read Error: an unexpected end of file
		return refine(message, Truncated)
	case 1404: // File Open Error: the file or bucket does not exist
		return refine(message, Missing)
	case 1999: // Unknown Error
		return refine(message, Unknown)
	case 3457: // Input Disallowed by Policy: the account's input policy
		return Service
	case 4010: // the local engine's ErrorInputTooLong
		return TooLong
	}
	switch {
	case code >= 1010 && code <= 1099: // the input's problems
		return refine(message, Unreadable)
	case code >= 1400 && code <= 1599:
		// Permissions, IAM roles, S3 writes, disk and acceleration faults:
		// the service's account and wiring.
		return Service
	case code >= 3400 && code <= 3999:
		// HTTP(S) inputs: transcoder sends only S3 inputs, so an engine
		// fetching over HTTP was configured so by the service.
		return Service
	}
	return refine(message, Unknown)
}

// elasticTranscoder reads Elastic Transcoder's codes (Amazon Elastic
// Transcoder Developer Guide, "Errors During Job Processing").
func elasticTranscoder(code int, message string) Reason {
	switch code {
	case 1000, 1001: // Validation Error, Dependency Error: the job the service wrote
		return Service
	case 2000: // Cannot Assume Role
		return Service
	case 3001: // Input Does Not Exist
		return Missing
	case 4000: // Bad Input File: a format not currently supported
		return refine(message, Unreadable)
	case 4001, 4002, 4022: // picture or file size, or combined size, over the maximum
		return TooLarge
	case 4006: // the format is not supported
		return Unsupported
	case 4007: // a supported file type that could not be processed
		return refine(message, Unreadable)
	case 4008: // the preset does not match the input (e.g. an audio preset, no audio)
		return refine(message, Service)
	case 4011, 4013: // the input's own embedded artwork cannot be read or is too big
		return Unreadable
	}
	switch {
	case code >= 3000 && code <= 3999: // storage: the pipeline's buckets and role
		return Service
	case code >= 4000 && code <= 4199:
		// Watermarks, album art, clips, encryption, concatenation and
		// captions the service's jobs do not use.
		return Service
	case code >= 9000 && code <= 9999: // Internal Service Error
		return Service
	}
	return refine(message, Unknown)
}
