package kms

import "time"

// settingNames are the names the settings are stored under, in kms.db's
// settings table and (all but the port, which stays each host's own) in a
// shared database's kms_settings table.
var settingNames = []string{"activation_interval", "renewal_interval", "port", "history_retention", "new_cmid_limit"}

// siteSettingNames are the settings a site's hosts share.
var siteSettingNames = []string{"activation_interval", "renewal_interval", "history_retention", "new_cmid_limit"}

// stored returns the value of the setting stored under name.
func (s Settings) stored(name string) int64 {
	switch name {
	case "activation_interval":
		return int64(s.ActivationInterval)
	case "renewal_interval":
		return int64(s.RenewalInterval)
	case "port":
		return int64(s.Port)
	case "history_retention":
		return int64(s.HistoryRetention)
	case "new_cmid_limit":
		return int64(s.NewCMIDLimit)
	}
	return 0
}

// setStored sets the setting stored under name to v; an unknown name (a
// setting of a newer version) is ignored.
func (s *Settings) setStored(name string, v int64) {
	switch name {
	case "activation_interval":
		s.ActivationInterval = int(v)
	case "renewal_interval":
		s.RenewalInterval = int(v)
	case "port":
		s.Port = int(v)
	case "history_retention":
		s.HistoryRetention = time.Duration(v)
	case "new_cmid_limit":
		s.NewCMIDLimit = int(v)
	}
	s.RetentionDays = int(s.HistoryRetention / (24 * time.Hour))
}
