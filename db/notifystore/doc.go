// Package notifystore keeps the notify service's data in SQL, on both
// dialects: the messages it stores before sending them, reminders, calendar
// feed tokens, webhook subscriptions and their deliveries, and how far it has
// read the other services' events. Each type here implements one of notify's
// repository interfaces; the tables are notify's own (notify_*).
package notifystore
