package notify

import (
	"context"
	"fmt"
	"html"
	"time"
)

// SMSSender delivers one text message. services/notify/sms implements it for
// an HTTP gateway and as files.
type SMSSender interface {
	SendSMS(ctx context.Context, to, text string) error
}

// CodeSender sends one-time sign-in codes by e-mail or SMS, in Swedish or
// English. It implements the auth service's CodeSender.
type CodeSender struct {
	Mailer Mailer
	SMS    SMSSender
	From   Address
}

// SendCode sends code to destination over channel ("email" or "sms").
func (c CodeSender) SendCode(ctx context.Context, channel, destination, code, language string, ttl time.Duration) error {
	minutes := int(ttl.Minutes())
	if channel == "sms" {
		text := fmt.Sprintf("Din inloggningskod till Tidbok: %s. Den gäller i %d minuter. Dela den inte med någon.", code, minutes)
		if language == "en" {
			text = fmt.Sprintf("Your Tidbok sign-in code: %s. It is valid for %d minutes. Do not share it.", code, minutes)
		}
		return c.SMS.SendSMS(ctx, destination, text)
	}
	subject := "Din inloggningskod: " + code
	lines := []string{
		"Hej!",
		"",
		"Din kod för att logga in på Tidbok är:",
		"",
		"    " + code,
		"",
		fmt.Sprintf("Koden gäller i %d minuter och kan bara användas en gång.", minutes),
		"Om du inte har bett om en kod kan du bortse från det här meddelandet. Dela aldrig koden med någon.",
	}
	if language == "en" {
		subject = "Your sign-in code: " + code
		lines = []string{
			"Hello,",
			"",
			"Your code to sign in to Tidbok is:",
			"",
			"    " + code,
			"",
			fmt.Sprintf("The code is valid for %d minutes and can be used once.", minutes),
			"If you did not ask for a code, you can ignore this message. Never share the code with anyone.",
		}
	}
	text := ""
	htmlBody := `<!doctype html><html lang="` + html.EscapeString(language) + `"><body style="font-family:sans-serif">`
	for _, l := range lines {
		text += l + "\n"
		if l == "    "+code {
			htmlBody += `<p style="font-size:2em;letter-spacing:0.2em"><strong>` + html.EscapeString(code) + `</strong></p>`
		} else if l != "" {
			htmlBody += "<p>" + html.EscapeString(l) + "</p>"
		}
	}
	htmlBody += "</body></html>"
	return c.Mailer.Send(ctx, Message{
		From: c.From, To: []Address{{Email: destination}}, Subject: subject, Text: text, HTML: htmlBody,
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
	})
}
