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

# The first Python on the instance that can import boto3 runs the idle check.
PYTHON=""
for candidate in "$HOME_DIR/anaconda3/envs/JupyterSystemEnv/bin/python" /usr/bin/python3; do
  if [ -x "$candidate" ] && "$candidate" -c "import boto3" 2>/dev/null; then
    PYTHON="$candidate"
    break
  fi
done

if [ -n "$IDLE_MINUTES" ] && [ -n "$PYTHON" ]; then
  cat > "$TOOLS/autostop.py" <<'AUTOSTOP'
__AUTOSTOP_PY__
AUTOSTOP
  echo "*/5 * * * * root $PYTHON $TOOLS/autostop.py --idle-minutes $IDLE_MINUTES >> /var/log/secure-ml-autostop.log 2>&1" \
    > /etc/cron.d/secure-ml-autostop
  chmod 0644 /etc/cron.d/secure-ml-autostop
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
