package machineid

import (
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// osSources reads MachineGuid (the value volact always hashed) and the
// SMBIOS system UUID.
// maxSMBIOS caps the SMBIOS table read from the firmware.
const maxSMBIOS = 1 << 20

func osSources() []rawSource {
	var srcs []rawSource
	if g := machineGUID(); g != "" {
		srcs = append(srcs, rawSource{name: SourceMachineGUID, values: []string{g}})
	}
	if u, ok := parseSMBIOSUUID(rawSMBIOS()); ok {
		srcs = append(srcs, rawSource{name: SourceSMBIOSUUID, values: []string{u}})
	}
	return srcs
}

func machineGUID() string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Cryptography`, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		return ""
	}
	defer k.Close()
	s, _, err := k.GetStringValue("MachineGuid")
	if err != nil {
		return ""
	}
	return s
}

var procGetSystemFirmwareTable = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetSystemFirmwareTable")

// rawSMBIOS returns the RawSMBIOSData structure ('RSMB' provider), or nil.
func rawSMBIOS() []byte {
	if procGetSystemFirmwareTable.Find() != nil {
		return nil
	}
	const rsmb = 'R'<<24 | 'S'<<16 | 'M'<<8 | 'B'
	n, _, _ := procGetSystemFirmwareTable.Call(rsmb, 0, 0, 0)
	if n == 0 || n > maxSMBIOS {
		return nil
	}
	buf := make([]byte, n)
	got, _, _ := procGetSystemFirmwareTable.Call(rsmb, 0, uintptr(unsafe.Pointer(&buf[0])), n)
	if got == 0 || got > n {
		return nil
	}
	return buf[:got]
}
