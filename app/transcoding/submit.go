package transcoding

import (
	"context"
	"errors"
	"path"
	"strconv"
	"strings"

	"transcoder/app/internal/ids"
	"transcoder/app/jobs"
	"transcoder/app/presets"
	"transcoder/app/s3"
)

// SubmitRequest asks for a new job.
type SubmitRequest struct {
	// Input is the key Upload answered.
	Input string
	// Presets are the outputs asked for, by preset name.
	Presets []string
	// Name is the caller's label; empty names the job after its input.
	Name string
	// CallbackURL, if set, receives a signed webhook call per transition.
	CallbackURL string
}

// maxName bounds a job's name.
const maxName = 200

// Submit starts a job on the caller's upload. The job is stored SUBMITTED
// before the engine is asked, so an event that beats the engine's answer
// back finds it and merges. A job the engine refuses is stored ERROR and
// returned inside an EngineFailed error.
func (s *Service) Submit(ctx context.Context, who Caller, req SubmitRequest) (*jobs.Job, error) {
	ps, err := presets.Resolve(req.Presets)
	if err != nil {
		return nil, invalid("presets: %v", err)
	}
	if req.Input == "" || !strings.HasPrefix(req.Input, "uploads/"+who.Folder()+"/") && !who.Operator {
		return nil, notAnUpload(req.Input)
	}
	if len(req.Name) > maxName {
		return nil, invalid("name: at most %d characters", maxName)
	}
	if req.CallbackURL != "" {
		if s.deps.CheckCallback == nil {
			return nil, invalid("callbackUrl: webhooks are off on this service (its operator has not set WEBHOOK_SECRET)")
		}
		if err := s.deps.CheckCallback(req.CallbackURL); err != nil {
			return nil, invalid("callbackUrl: %v", err)
		}
	}
	return s.start(ctx, who, req, ps)
}

func notAnUpload(input string) *Error {
	return invalid("input: %q is not one of your uploads: send the key POST /uploads answered", input)
}

// Retry starts a job that has ended again, as a new job: the same input,
// presets, name and callback, for the same owner (whoever asks: the
// operator may), while the input is still stored. The quotas apply as to
// any new job.
func (s *Service) Retry(ctx context.Context, who Caller, id string) (*jobs.Job, error) {
	j, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !j.State.Terminal() {
		return nil, conflict("this job has not ended yet ("+string(j.State)+"): cancel it first, or wait for it", nil)
	}
	key, ok := s.inputKey(j)
	if !ok {
		return nil, conflict("this job's input is not an upload of this service, so it cannot be run again: upload the file again", nil)
	}
	ps, err := presets.Resolve(j.Presets)
	if err != nil {
		return nil, conflict("this job's formats are no longer offered ("+err.Error()+"): upload the file again and choose others", nil)
	}
	who.Owner = j.Owner
	return s.start(ctx, who, SubmitRequest{Input: key, Presets: j.Presets, Name: j.Name, CallbackURL: j.CallbackURL}, ps)
}

// inputKey is the key under uploads/ of the job's input, if it is in this
// service's input bucket.
func (s *Service) inputKey(j *jobs.Job) (string, bool) {
	if j.Input == nil || j.Input.URI == "" {
		return "", false
	}
	_, key, err := s3.ParseURI(j.Input.URI)
	if err != nil || !strings.HasPrefix(key, "uploads/") || s.deps.Storage.InputURI(key) != j.Input.URI {
		return "", false
	}
	return key, true
}

// start starts the job req asks for, on behalf of who: the input and the
// quotas are checked, the job is stored SUBMITTED, then the engine is
// asked. It is what Submit and Retry share.
func (s *Service) start(ctx context.Context, who Caller, req SubmitRequest, ps []presets.Preset) (*jobs.Job, error) {
	input := s.deps.Storage.InputURI(req.Input)
	if err := s.checkInput(ctx, req.Input, input); err != nil {
		return nil, err
	}
	if req.Name == "" {
		req.Name = path.Base(req.Input)
	}
	id := ids.Prefixed("j")
	admission, err := s.deps.Quotas.Admit(ctx, who.Owner, req.Input, id, who.Operator)
	if err != nil {
		return nil, refusal("", err)
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	meta := map[string]string{jobs.MetadataJobID: id}
	submitted, err := s.deps.Store.Apply(ctx, &jobs.Update{
		JobID: id, Owner: who.Owner, Name: req.Name, Presets: names, Engine: s.deps.Engine, CallbackURL: req.CallbackURL,
		At: s.deps.Now(), State: jobs.Submitted, Input: &jobs.Input{URI: input}, Metadata: meta,
	})
	if err != nil {
		admission.Undo(context.WithoutCancel(ctx)) //nolint:errcheck // a leftover running place is swept when the limit is next met
		return nil, unavailable("storing the job", err)
	}
	// Webhook calls go out once the engine has the job (below).
	s.watched(submitted.Job.ID)
	engineID, err := s.deps.Transcoder.Start(ctx, jobs.StartRequest{
		JobID: id, Owner: who.Owner, Input: input, OutputPrefix: s.deps.Storage.OutputURI("jobs/" + id + "/"), Presets: ps, Metadata: meta,
	})
	u := &jobs.Update{JobID: id, EngineJobID: engineID, At: s.deps.Now()}
	if err != nil {
		s.deps.Logger.Error("starting a job", "job_id", id, "err", err)
		u.State, u.Error = jobs.Failed, &jobs.Failure{Code: "START_FAILED", Message: "the transcoding engine refused the job: " + err.Error()}
	}
	ch, aerr := s.deps.Store.Apply(ctx, u)
	if aerr != nil {
		return nil, unavailable("storing the job", aerr)
	}
	s.changed(ch.Job)
	s.giveBack(ctx, ch.Job)
	if err != nil {
		return nil, &Error{Kind: EngineFailed, Message: ch.Job.Explain().Message, Job: ch.Job, Err: err}
	}
	s.deps.Logger.Info("job submitted", "job_id", id, "engine_job_id", engineID, "presets", names)
	return ch.Job, nil
}

// checkInput checks that the upload key (stored at input) is there and
// within the upload quota: storage is the truth, so the size is checked
// again on the object itself.
func (s *Service) checkInput(ctx context.Context, key, input string) error {
	if _, _, err := s3.ParseURI(input); err != nil {
		return notAnUpload(key)
	}
	obj, err := s.deps.Storage.Head(ctx, input)
	if errors.Is(err, s3.ErrNotFound) {
		return &Error{Kind: NotFound, Message: "input " + strconv.Quote(key) + " does not exist: upload the file to the URL POST /uploads answered, then submit the job"}
	} else if err != nil {
		return unavailable("checking the input", err)
	}
	if err := s.deps.Quotas.CheckUpload(obj.Size); err != nil {
		return refusal("input", err)
	}
	return nil
}
