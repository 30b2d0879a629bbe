<#
.SYNOPSIS
  Logon (or startup) script: activate or renew volact products when due,
  without ever holding up the logon.

.DESCRIPTION
  Runs `volact act --if-due -q`, waits at most -TimeoutSeconds, kills it if it
  is still running, and appends one line with the exit code to a log file.
  `--if-due` contacts nobody unless an attempt is due, so running this at every
  logon is cheap; offline machines get exit code 4 quickly.

  Exit codes of volact (logged as is): 0 ok or nothing due, 3 invalid input,
  4 no host reachable, 5 refused, 7 store locked or tampered; "timeout" when
  the time limit was hit.

  Deploy through Group Policy (Computer Configuration > Policies > Windows
  Settings > Scripts > Startup, or User Configuration > ... > Logon) with the
  parameters "-ExecutionPolicy Bypass -NoProfile -File volact-logon.ps1", or
  use volact-act-task.xml (a scheduled task) instead. The machine's store is
  %ProgramData%\volact: as a user logon script, set VOLACT_STORE to a folder
  the user can write or run it as a startup script.

.EXAMPLE
  powershell.exe -NoProfile -ExecutionPolicy Bypass -File volact-logon.ps1 -TimeoutSeconds 20
#>
[CmdletBinding()]
param(
    # Path of volact.exe.
    [string]$Volact = (Join-Path $env:ProgramFiles 'volact\volact.exe'),
    # Upper bound of the whole run, in seconds.
    [ValidateRange(1, 600)]
    [int]$TimeoutSeconds = 30,
    # Log file; one line per run. Rotated at 1 MB.
    [string]$LogPath = (Join-Path $env:ProgramData 'volact\logon.log')
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

function Write-RunLog([string]$Message) {
    try {
        $dir = Split-Path -Parent $LogPath
        if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir -Force | Out-Null }
        if ((Test-Path -LiteralPath $LogPath) -and (Get-Item -LiteralPath $LogPath).Length -gt 1MB) {
            Move-Item -LiteralPath $LogPath -Destination "$LogPath.old" -Force
        }
        $stamp = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
        Add-Content -LiteralPath $LogPath -Value "$stamp $env:COMPUTERNAME\$env:USERNAME $Message"
    } catch {
        # Logging must never break a logon.
        Write-Verbose "volact-logon: cannot write $LogPath`: $_"
    }
}

if (-not (Test-Path -LiteralPath $Volact)) {
    Write-RunLog "exit=3 volact not found at $Volact"
    exit 3
}

$psi = New-Object System.Diagnostics.ProcessStartInfo
$psi.FileName = $Volact
$psi.Arguments = 'act --if-due -q'
$psi.UseShellExecute = $false
$psi.CreateNoWindow = $true
$psi.RedirectStandardOutput = $true
$psi.RedirectStandardError = $true
$psi.EnvironmentVariables['NO_COLOR'] = '1'

$proc = [System.Diagnostics.Process]::Start($psi)
# Read both pipes asynchronously so that a full pipe cannot stall the child.
$stdout = $proc.StandardOutput.ReadToEndAsync()
$stderr = $proc.StandardError.ReadToEndAsync()

if (-not $proc.WaitForExit($TimeoutSeconds * 1000)) {
    try { $proc.Kill() } catch { Write-Verbose "volact-logon: kill: $_" }
    Write-RunLog "exit=timeout after ${TimeoutSeconds}s"
    exit 4
}
$proc.WaitForExit()  # flush the async readers
$code = $proc.ExitCode
$msg = (($stderr.Result + $stdout.Result) -replace '\s+', ' ').Trim()
$line = "exit=$code $msg".Trim()
Write-RunLog $line
exit $code
