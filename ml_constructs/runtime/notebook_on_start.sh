#!/bin/bash
# On-start lifecycle script of the project's notebook instances (pattern N5).
# Runs as root at every start. It needs no internet: the idle check talks to Jupyter on
# localhost and to the SageMaker API through the VPC endpoint, and Python packages come from
# the project's artifacts bucket through the S3 gateway endpoint.
set -euo pipefail

IDLE_MINUTES="__IDLE_MINUTES__"
WHEELHOUSE="__WHEELHOUSE__"
HOME_DIR=/home/ec2-user
TOOLS="$HOME_DIR/.secure-ml"
mkdir -p "$TOOLS"

# The first Python on the instance that can import boto3 runs the idle check: the
# JupyterSystemEnv (as in AWS's auto-stop-idle sample), else AL2023's /usr/bin/python3 (3.9).
PYTHON=""
for candidate in "$HOME_DIR/anaconda3/envs/JupyterSystemEnv/bin/python" /usr/bin/python3; do
  if [ -x "$candidate" ] && "$candidate" -c "import boto3" 2>/dev/null; then
    PYTHON="$candidate"
    break
  fi
done

# AL2023 has no cron; a systemd timer runs the check every five minutes. The units are
# written at every start (the root volume is replaced on stop/start).
AUTOSTOP_UNIT=/etc/systemd/system/secure-ml-autostop
AUTOSTOP_LOG=/var/log/secure-ml-autostop.log
if [ -n "$IDLE_MINUTES" ] && [ -z "$PYTHON" ]; then
  echo "secure-ml: no Python with boto3 on this instance, idle stop not installed" >&2
elif [ -n "$IDLE_MINUTES" ]; then
  cat > "$TOOLS/autostop.py" <<'AUTOSTOP'
__AUTOSTOP_PY__
AUTOSTOP
  AUTOSTOP_COMMAND="$PYTHON $TOOLS/autostop.py --idle-minutes $IDLE_MINUTES"
  if [ -d /run/systemd/system ]; then
    cat > "$AUTOSTOP_UNIT.service" <<UNIT
[Unit]
Description=Stop this notebook instance when idle (secure-ml)

[Service]
Type=oneshot
ExecStart=$AUTOSTOP_COMMAND
StandardOutput=append:$AUTOSTOP_LOG
StandardError=append:$AUTOSTOP_LOG
UNIT
    cat > "$AUTOSTOP_UNIT.timer" <<UNIT
[Unit]
Description=Idle check of this notebook instance every five minutes (secure-ml)

[Timer]
OnBootSec=5min
OnUnitActiveSec=5min

[Install]
WantedBy=timers.target
UNIT
    systemctl daemon-reload
    systemctl enable --now secure-ml-autostop.timer
  else
    # Without systemd, a background loop; the lifecycle script itself must end within 5 minutes.
    nohup bash -c "while sleep 300; do $AUTOSTOP_COMMAND; done" >> "$AUTOSTOP_LOG" 2>&1 &
  fi
fi

# Dependencies without internet: if the wheelhouse holds requirements.txt, install it from
# the wheels beside it into the notebook's python3 environment, in the background so the
# start is not held past SageMaker's five-minute limit.
chown ec2-user:ec2-user "$TOOLS"
nohup sudo -u ec2-user -i bash -c "
  set -e
  aws s3 sync --only-show-errors '$WHEELHOUSE' '$TOOLS/wheelhouse'
  if [ -f '$TOOLS/wheelhouse/requirements.txt' ]; then
    source $HOME_DIR/anaconda3/bin/activate python3
    pip install --no-index --find-links '$TOOLS/wheelhouse' -r '$TOOLS/wheelhouse/requirements.txt'
  fi
" > /var/log/secure-ml-wheelhouse.log 2>&1 &
