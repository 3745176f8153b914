// Package notify is the notify service's domain: it turns what happens in the
// other services into messages for people and systems.
//
// This file set holds what every sender shares: the Message a caller wants
// delivered, its validation (which also guards against header injection), the
// Mailer interface that delivers it, and the error kinds that let an outbox
// tell a failure worth retrying from one that is not. The SMTP and file
// implementations live in services/notify/mail; nothing here speaks a network
// protocol.
package notify
