"""The sample Flask app (samples/web-adapter/flask/app.py) as a plain Python Lambda handler, for the local
cold-start benchmark: apig-wsgi turns each API Gateway / Function URL event into a WSGI call in-process, with no
extension and no HTTP server. Compare with the same app behind the Lambda Web Adapter.
"""
from apig_wsgi import make_lambda_handler

from app import app

handler = make_lambda_handler(app)
